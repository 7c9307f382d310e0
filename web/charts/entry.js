// The ECharts the web pages use, and nothing else (server/web/static/js/lib.js `chart`, index-view.js,
// business.js): bar and line series on a cartesian grid, with tooltip and a plain legend, drawn on canvas.
// A page that needs another series type or component adds its import here and runs `make charts`.
// The bundle sets the `window.echarts` global the pages call (init, getInstanceByDom; use and version
// for whoever extends it); exporting the whole namespace would keep every core export in the bundle.
import { use, init, getInstanceByDom, version } from 'echarts/core';
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, TooltipComponent, LegendPlainComponent } from 'echarts/components';
import { CanvasRenderer } from 'echarts/renderers';

use([BarChart, LineChart, GridComponent, TooltipComponent, LegendPlainComponent, CanvasRenderer]);

window.echarts = { use, init, getInstanceByDom, version };
