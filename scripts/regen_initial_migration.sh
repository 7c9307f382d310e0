#!/usr/bin/env bash
# Until the first release, the schema is one initial migration regenerated from the models.
# After the first deploy, add new revisions with `.venv/bin/python -c 'from server.migrate import autogenerate; ...'`.
set -euo pipefail
cd "$(dirname "$0")/.."
tmp=$(mktemp -d)
rm -f server/migrations/versions/0001_initial.py
.venv/bin/python -c "from server.migrate import autogenerate; autogenerate('sqlite:///$tmp/empty.sqlite3', 'initial schema', rev_id='0001_initial')"
mv server/migrations/versions/0001_initial_initial_schema.py server/migrations/versions/0001_initial.py
rm -rf "$tmp"
echo "regenerated server/migrations/versions/0001_initial.py"
