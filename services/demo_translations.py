"""Demo translations (issue 13): the four Connecting Resilient Cities workshops in English and their
host city's language, and one protocol step with easy-read variants.

The workshops' texts are demo texts (their descriptions say so); these are translations of them, not
facts. German for the workshops in Vienna and Rostock, Latvian for Liepāja, Slovene for Ljubljana.
"""

from __future__ import annotations

from citynet.domain.translation import Translations
from citynet.services.demo_plans import PROTOCOL_TITLE, demo_id
from citynet.services.demo_workshops import workshop_id
from citynet.services.runtime import Citynet

DESCRIPTION = {
    "de": "Demodaten: Das Thema, die Partner und die gemeinsame Organisation durch ICNCM und UBC stammen aus dem "
          "Projekt Connecting Resilient Cities; Gastgeberstadt, Termine, Veranstaltungsort, Kapazität und "
          "Teilnehmende sind beispielhaft.",
    "lv": "Demonstrācijas dati: tēma, partneri un ICNCM un UBC kopīgā organizēšana ir ņemti no projekta Connecting "
          "Resilient Cities; uzņēmējpilsēta, datumi, norises vieta, vietu skaits un dalībnieki ir ilustratīvi.",
    "sl": "Predstavitveni podatki: tema, partnerji in skupna organizacija ICNCM in UBC izhajajo iz projekta "
          "Connecting Resilient Cities; mesto gostitelj, datumi, prizorišče, zmogljivost in udeleženci so "
          "ponazoritveni.",
}

WORKSHOP_TITLES = [  # English source title, the host city's language, the title in it
    ("Crisis management in case of energy shortages", "de", "Krisenmanagement bei Energieknappheit"),
    ("Crisis communication with stakeholders: volunteers, population and media", "lv",
     "Krīzes komunikācija ar iesaistītajām pusēm: brīvprātīgie, iedzīvotāji un mediji"),
    ("Preparation for sheltering large groups of people", "de",
     "Vorbereitung auf die Unterbringung großer Personengruppen"),
    ("Digital and analogue warning procedures in an urban environment", "sl",
     "Digitalni in analogni postopki opozarjanja v urbanem okolju"),
]

EASY_READ_STEP = [  # the protocol's first step, in easy read
    ("en", "Call the crisis team together. Open the plan for shelters. (demo)"),
    ("de", "Rufen Sie das Krisen-Team zusammen. Öffnen Sie den Plan für Not-Unterkünfte. (Demo)"),
]


def load_demo_translations(citynet: Citynet) -> None:
    app = citynet.app
    for title, lang, translated in WORKSHOP_TITLES:
        wid = workshop_id(title)
        if app.exists(Translations.create_id(wid)) or not app.exists(wid):
            continue
        citynet.execute(lambda app, w=wid, lg=lang, t=translated: app.translate_text(
            record_kind="workshop", record_id=w, field="title", lang=lg, text=t))
        citynet.execute(lambda app, w=wid, lg=lang: app.translate_text(
            record_kind="workshop", record_id=w, field="description", lang=lg, text=DESCRIPTION[lg]))
    protocol = demo_id(PROTOCOL_TITLE)
    if app.exists(protocol) and not app.exists(Translations.create_id(protocol)):
        first_step = app.repository.get(protocol).versions[1].content["steps"][0]["id"]
        for lang, text in EASY_READ_STEP:
            citynet.execute(lambda app, lg=lang, t=text: app.translate_text(
                record_kind="protocol", record_id=protocol, field="stepInstruction", part_id=first_step,
                version=1, lang=lg, text=t, easy_read=True))
