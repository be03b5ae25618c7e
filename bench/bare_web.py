"""The baseline for the website's rows in `make bench`: a bare Flask page rendered from a
template, served by gunicorn with the website's own settings (frontend/__main__.py)."""
from __future__ import annotations

from flask import Flask, render_template_string

app = Flask(__name__)

PAGE = """<!doctype html><html lang="en"><head><title>{{ title }}</title></head>
<body><h1>{{ title }}</h1><ul>{% for item in items %}<li>{{ item }}</li>{% endfor %}</ul></body></html>"""


@app.get("/")
def page():
    return render_template_string(PAGE, title="A bare page", items=range(20))
