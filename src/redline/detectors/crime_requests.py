"""Requests to commit an everyday crime against a person or their property, found
by rule: an act followed within a few words by its target ("steal a laptop", "rob
a gas station", "forge a check", "knock someone out"), in English, Spanish, French,
German, Italian, Portuguese and Hindi (where the target comes first and the frame
may follow the act: "पेट्रोल पंप कैसे लूटूं", "कार चुराने का सबसे आसान तरीका").

Why a rule beside the harm classifier: trained on the licence-allowed public sets,
the classifier learnt the casual "how do I ..." frame more than what is asked, so
"What is the best way to shoplift from a jewelry store?" scored 0.00 while "How to
create Ramen?" scored 1.00 (issue 10). The words name the act and what it is done
to, so the verdict rests on what is asked: "How to create Ramen?" does not match,
and "How can I steal a laptop from Best Buy?" does.

The matcher is the hazard rules' verb-object matcher
(``hazard_requests.RequestRules``), reading ``data/crime_requests.yaml``: each
group of acts (one crime in one language) pairs with its own targets only
("steal" with "laptop", "break" with "someone's leg"), and words right after a
target undo the pair ("steal someone's heart", "shoot someone a message"). Acts are
present or base forms, so a report of a crime ("he stole a car") is no request. A
request frame ("how", "the best way to", "I want to", "cómo", "wie kann ich") must
end at most ``frame_window`` words before the act (before the object, in German,
whose verb comes last), with no word between that turns the request around ("how
to stop someone stealing"). Read on the input side only, as the hazard requests
are.
"""

from __future__ import annotations

import functools

from redline.detectors.hazard_requests import RequestRules, parse_rules
from redline.detectors.phrase_file import load_data_file

RULES_FILE = "crime_requests.yaml"


@functools.cache
def crime_rules() -> RequestRules:
    """The shipped rules (``data/crime_requests.yaml``), read once."""
    return parse_rules(load_data_file(RULES_FILE), RULES_FILE)
