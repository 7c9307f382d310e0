"""The ceiling: a bare Flask JSON endpoint served by the same gunicorn settings as the platform.

    gunicorn -c deploy/gunicorn.conf.py bench.bare_app:app
"""
from flask import Flask, jsonify

app = Flask(__name__)
app.json.ensure_ascii = False

PAYLOAD = {"items": [{"id": i, "name": f"商家{i}", "score": 88.5, "grade": "B"} for i in range(20)],
           "page": 1, "per_page": 20, "total": 20}


@app.get("/bare")
def bare():
    return jsonify(PAYLOAD)
