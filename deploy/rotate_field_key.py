"""Re-encrypt every encrypted field and re-key every look-up hash from an old FIELD_ENCRYPTION_KEY to a new one.

Why offline: the running app reads only FIELD_ENCRYPTION_KEY, so once it changes, rows still sealed with the
old key cannot be decrypted and phone look-ups (sign-in by SMS, business members by phone) stop matching.
Run this with the web, worker and scheduler stopped, in one transaction:

    FIELD_ENCRYPTION_KEY_OLD=<old> FIELD_ENCRYPTION_KEY=<new> DATABASE_URL=... \
        python deploy/rotate_field_key.py [--dry-run]

It touches: user_account.phone_enc/phone_hash, identity.subject of phone identities, identity.secret_enc
(WeChat session keys), business.contact_phone_enc/contact_phone_hash, webhook.secret_enc; pending SMS codes are
deleted (they are keyed by the old hash and expire in minutes anyway). Rows already under the new key are left.
"""
from __future__ import annotations

import argparse
import json
import os
import sys

from sqlalchemy import delete, select


def rotate(session, old_key: str, new_key: str) -> dict[str, int]:
    from server.core.identity.signin import SESSION_KEY_CONTEXT
    from server.core.models import Business, Identity, SmsCode, User, Webhook
    from server.core.notifications.webhooks import SECRET_CONTEXT
    from server.core.privacy import FieldCipher

    new = FieldCipher(new_key, previous=[old_key])
    old = FieldCipher(old_key)
    done = {"user_phone": 0, "phone_identity": 0, "session_key": 0, "business_phone": 0, "webhook_secret": 0,
            "sms_codes_dropped": 0}
    for user in session.execute(select(User).where(User.phone_enc.is_not(None))).scalars():
        if not new.needs_rotation(user.phone_enc):
            continue
        phone = new.decrypt(user.phone_enc)
        old_hash = old.lookup_hash(phone)
        user.phone_enc = new.encrypt(phone)
        user.phone_hash = new.lookup_hash(phone)
        done["user_phone"] += 1
        for ident in user.identities:
            if ident.provider == "phone" and ident.subject == old_hash:
                ident.subject = user.phone_hash
                done["phone_identity"] += 1
    for ident in session.execute(select(Identity).where(Identity.secret_enc.is_not(None))).scalars():
        if new.needs_rotation(ident.secret_enc):
            ident.secret_enc = new.encrypt(new.decrypt(ident.secret_enc, context=SESSION_KEY_CONTEXT),
                                           context=SESSION_KEY_CONTEXT)
            done["session_key"] += 1
    for biz in session.execute(select(Business).where(Business.contact_phone_enc.is_not(None))).scalars():
        if new.needs_rotation(biz.contact_phone_enc):
            phone = new.decrypt(biz.contact_phone_enc)
            biz.contact_phone_enc = new.encrypt(phone)
            biz.contact_phone_hash = new.lookup_hash(phone)
            done["business_phone"] += 1
    for hook in session.execute(select(Webhook)).scalars():
        if new.needs_rotation(hook.secret_enc):
            hook.secret_enc = new.encrypt(new.decrypt(hook.secret_enc, context=SECRET_CONTEXT),
                                          context=SECRET_CONTEXT)
            done["webhook_secret"] += 1
    done["sms_codes_dropped"] = session.execute(delete(SmsCode)).rowcount or 0
    return done


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dry-run", action="store_true", help="count what would change, then roll back")
    args = parser.parse_args(argv)
    old_key, new_key = os.environ.get("FIELD_ENCRYPTION_KEY_OLD"), os.environ.get("FIELD_ENCRYPTION_KEY")
    if not old_key or not new_key or old_key == new_key:
        print("set FIELD_ENCRYPTION_KEY_OLD (current key) and FIELD_ENCRYPTION_KEY (new key), different",
              file=sys.stderr)
        return 2
    from server.config import load_config
    from server.db import Database

    db = Database(load_config()["DATABASE_URL"])
    with db.session() as s:
        done = rotate(s, old_key, new_key)
        if args.dry_run:
            s.rollback()
        else:
            s.commit()
    print(json.dumps({"dry_run": args.dry_run, **done}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
