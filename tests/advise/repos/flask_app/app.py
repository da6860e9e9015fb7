"""A small Flask tool: a page listing saved cities and their weather."""

import sqlite3

import requests
from flask import Flask, g, render_template, request

app = Flask(__name__)
DATABASE = "cities.db"


def get_db():
    if "db" not in g:
        g.db = sqlite3.connect(DATABASE)
    return g.db


@app.teardown_appcontext
def close_db(exc):
    db = g.pop("db", None)
    if db is not None:
        db.close()


def weather_for(city):
    response = requests.get("https://wttr.in/" + city, params={"format": "3"}, timeout=5)
    return response.text


@app.route("/")
def index():
    rows = get_db().execute("SELECT name FROM city").fetchall()
    return render_template("index.html", cities=[(name, weather_for(name)) for (name,) in rows])


@app.post("/cities")
def add_city():
    get_db().execute("INSERT INTO city (name) VALUES (?)", (request.form["name"],))
    get_db().commit()
    return index()
