"""The ceilings: bare Flask endpoints served by the same gunicorn settings as the platform.

    gunicorn -c deploy/gunicorn.conf.py bench.bare_app:app

GET /bare: a JSON document, nothing else (the read ceiling).
POST /bare-insert: one row INSERTed and COMMITted with psycopg (no ORM, no validation, no auth): the
ceiling of any durable write through Flask and gunicorn on this machine (DATABASE_URL, PostgreSQL).
"""
import os
import threading

from flask import Flask, jsonify, request

app = Flask(__name__)
app.json.ensure_ascii = False

PAYLOAD = {"items": [{"id": i, "name": f"商家{i}", "score": 88.5, "grade": "B"} for i in range(20)],
           "page": 1, "per_page": 20, "total": 20}
_local = threading.local()


@app.get("/bare")
def bare():
    return jsonify(PAYLOAD)


def _conn():
    conn = getattr(_local, "conn", None)
    if conn is None:
        import psycopg
        from sqlalchemy.engine import make_url

        url = make_url(os.environ["DATABASE_URL"]).set(drivername="postgresql")
        conn = _local.conn = psycopg.connect(url.render_as_string(hide_password=False))
    return conn


@app.post("/bare-insert")
def bare_insert():
    body = request.get_json()
    conn = _conn()
    with conn.cursor() as cur:
        cur.execute("INSERT INTO bench_insert (business_id, title, description, created_at) "
                    "VALUES (%s, %s, %s, now()) RETURNING id", (body["business_id"], body["title"], body["description"]))
        new_id = cur.fetchone()[0]
    conn.commit()
    return jsonify(id=new_id), 201
