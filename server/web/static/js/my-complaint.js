// One of the consumer's complaints: track, confirm, dispute, rate, withdraw, messages.
import { h } from './lib.js';
import { renderComplaint } from './complaint-view.js';

const el = document.getElementById('complaint');
const id = document.getElementById('main').dataset.complaintId;
if (new URLSearchParams(location.search).get('new')) {
  el.before(h('p', { class: 'notice', id: 'filed' }, '投诉已提交。调解员受理后会转交商家处理，进展会通过消息通知您。'));
}
renderComplaint(el, id);
