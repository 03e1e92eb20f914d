"""The health record as FHIR R4 (4.0.1): a Bundle of type "collection" that other health apps
and providers can read, for the record's archive (export.py).

Callers pass only what the patient may read (entries.patient_category_entries): nothing here
decides who may see what. Each entry becomes one resource; what has no element of its own in
R4 (a visit's notes, a vaccine's dose, a prescriber) is still in the resource's narrative,
which lists every fact as the patient's pages word it. Bills and statements have no resource
here: Account and Invoice would say far more than a statement's date, amount and balance, so
they stay in the summary PDF (the archive's README says so).

Resources point at each other by `urn:uuid:` full URLs, made from the entry's number so the
same entry has the same URL in every download. Plain dicts, written with the json module;
tests check the result with the fhir.resources package.
"""

import re
import uuid
from datetime import date, datetime, time

from markupsafe import escape

from .categories import CATEGORIES, facts_for_people

LEFT_OUT = ("statement",)  # categories that have no resource in the Bundle
# Resource ids and full URLs: the same entry gets the same ones in every download.
NAMESPACE = uuid.UUID("6f1c8a52-3d4e-5b7a-9c2d-0e1f2a3b4c5d")
NUMBER = re.compile(r"-?\d+(\.\d+)?")
TERMINOLOGY = "http://terminology.hl7.org/CodeSystem/"
INTERPRETATIONS = {"normal": ("N", "Normal"), "high": ("H", "High"), "low": ("L", "Low"),
                   "abnormal": ("A", "Abnormal"), "critical": ("AA", "Critical abnormal")}
GENDERS = {"female": "female", "male": "male", "other": "other", "unknown": "unknown"}
# A reaction's severity says how bad it was; criticality how bad the next one may be: only a
# severe reaction is read as a high risk.
CRITICALITY = {"mild": "low", "moderate": "low", "severe": "high"}
ENCOUNTER_STATES = {"scheduled": "planned", "completed": "finished", "cancelled": "cancelled",
                    "missed": "cancelled"}  # R4 Encounter has no "no-show": the narrative says it


def full_url(kind, number):
    """The `urn:uuid:` a resource is known by in the Bundle: stable per patient or entry."""
    return f"urn:uuid:{uuid.uuid5(NAMESPACE, f'{kind}/{number}')}"


def bundle(patient, entries, files, zone, now):
    """The FHIR R4 Bundle (a dict) of the patient and their released entries.

    `entries`: {category key: entries}; `files`: {document entry id: (name in the archive,
    size, SHA-1 as base64)}, a document missing there has no url; `zone`: the practice's time
    zone (appointment times); `now`: an aware datetime, the Bundle's timestamp."""
    patient_url = full_url("patient", patient.id)
    items = [{"fullUrl": patient_url, "resource": patient_resource(patient)}]
    for key, category_entries in entries.items():
        if key in LEFT_OUT:
            continue
        for entry in category_entries:
            resource = MAPPINGS[key](entry, entry.facts or {}, patient_url, files=files,
                                     zone=zone, today=now.astimezone(zone).date())
            resource = {"resourceType": resource["resourceType"],
                        "id": f"{entry.category}-{entry.id}", "text": _narrative(entry),
                        **resource}
            items.append({"fullUrl": full_url("record-entry", entry.id), "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "timestamp": _instant(now),
            "entry": items}


def patient_resource(patient):
    """The Patient: names, date of birth, sex and the practice's account number."""
    given = [part for part in (patient.first_name, patient.middle_name) if part]
    names = [{"use": "official", "text": patient.full_name, "family": patient.last_name,
              "given": given}]
    if patient.preferred_name:
        names.append({"use": "usual", "given": [patient.preferred_name]})
    return {"resourceType": "Patient", "id": f"patient-{patient.id}",
            "identifier": [{"type": {"text": "Account number"}, "value": patient.account_number}],
            "name": names, "gender": GENDERS.get(patient.sex, "unknown"),
            "birthDate": patient.date_of_birth.isoformat()}


def _instant(moment):
    return moment.isoformat(timespec="seconds")


def _text(value):
    return {"text": value}


def _narrative(entry):
    """Every fact of the entry as the patient's pages word it, as XHTML."""
    lines = "".join(f"<p>{escape(label)}: {escape(text)}</p>"
                    for label, text in facts_for_people(entry))
    return {"status": "generated", "div": f'<div xmlns="http://www.w3.org/1999/xhtml">{lines}</div>'}


def _note(entry, *names):
    """Annotations for the facts that have no element of their own ("Dose: 0.5 mL")."""
    category = CATEGORIES[entry.category]
    notes = [f"{category.field(name).label}: {(entry.facts or {}).get(name)}" for name in names
             if (entry.facts or {}).get(name)]
    return {"note": [_text(note) for note in notes]} if notes else {}


def _coded(system, code, display=None):
    coding = {"system": TERMINOLOGY + system, "code": code}
    return {"coding": [{**coding, "display": display} if display else coding]}


def _observation(entry, facts, patient_url, **_):
    value, unit = facts.get("value", ""), facts.get("unit", "")
    if NUMBER.fullmatch(value) and unit:
        result = {"valueQuantity": {"value": float(value) if "." in value else int(value),
                                    "unit": unit}}
    else:
        result = {"valueString": f"{value} {unit}".strip()}
    resource = {"resourceType": "Observation", "status": "final",
                "category": [_coded("observation-category", "laboratory", "Laboratory")],
                "code": _text(facts["test"]), "subject": {"reference": patient_url},
                "effectiveDateTime": facts.get("collected_on") or facts["resulted_on"],
                "issued": _instant(entry.released_at), **result}
    if facts.get("flag") in INTERPRETATIONS:
        code, display = INTERPRETATIONS[facts["flag"]]
        resource["interpretation"] = [{**_coded("v3-ObservationInterpretation", code, display),
                                       "text": display}]
    if facts.get("reference_range"):
        resource["referenceRange"] = [_text(facts["reference_range"])]
    return resource


def _immunization(entry, facts, patient_url, **_):
    resource = {"resourceType": "Immunization", "status": "completed",
                "vaccineCode": _text(facts["vaccine"]), "patient": {"reference": patient_url},
                "occurrenceDateTime": facts["given_on"], **_note(entry, "dose")}
    if facts.get("lot"):
        resource["lotNumber"] = facts["lot"]
    return resource


def _medication(entry, facts, patient_url, *, today, **_):
    stopped = facts.get("stopped_on")
    period = {"start": facts["started_on"], **({"end": stopped} if stopped else {})}
    dosage = ", ".join(part for part in (facts.get("dose"), facts.get("directions")) if part)
    return {"resourceType": "MedicationStatement",
            "status": "completed" if stopped and date.fromisoformat(stopped) <= today
            else "active",
            "medicationCodeableConcept": _text(facts["name"]),
            "subject": {"reference": patient_url}, "effectivePeriod": period,
            "dosage": [_text(dosage)], **_note(entry, "prescriber")}


def _allergy(entry, facts, patient_url, **_):
    resource = {"resourceType": "AllergyIntolerance",
                "clinicalStatus": _coded("allergyintolerance-clinical", "active"),
                "criticality": CRITICALITY.get(facts.get("severity"), "unable-to-assess"),
                "code": _text(facts["substance"]), "patient": {"reference": patient_url},
                "recordedDate": facts["noted_on"]}
    if facts.get("reaction"):
        reaction = {"manifestation": [_text(facts["reaction"])]}
        if facts.get("severity") in CRITICALITY:
            reaction["severity"] = facts["severity"]
        resource["reaction"] = [reaction]
    return resource


def _condition(entry, facts, patient_url, **_):
    return {"resourceType": "Condition",
            "clinicalStatus": _coded("condition-clinical", facts["state"]),
            "category": [_coded("condition-category", "problem-list-item", "Problem List Item")],
            "code": _text(facts["name"]), "subject": {"reference": patient_url},
            "recordedDate": facts["noted_on"], **_note(entry, "notes")}


def _encounter(entry, facts, patient_url, *, zone, **_):
    if entry.category == "appointment":
        status = ENCOUNTER_STATES.get(facts.get("state"), "unknown")
        start = datetime.combine(date.fromisoformat(facts["day"]),
                                 time.fromisoformat(facts["at"]), tzinfo=zone)
        period = {"start": _instant(start)}
    else:
        status, period = "finished", {"start": facts["visited_on"]}
    return {"resourceType": "Encounter", "status": status,
            "class": {"system": "http://terminology.hl7.org/CodeSystem/v3-ActCode",
                      "code": "AMB", "display": "ambulatory"},
            "type": [_text(str(CATEGORIES[entry.category].label))],
            "subject": {"reference": patient_url},
            "participant": [{"individual": {"display": facts["provider"]}}],
            "period": period, "reasonCode": [_text(facts["reason"])]}


def _document(entry, facts, patient_url, *, files, **_):
    attachment = {"contentType": entry.file_type, "title": facts["title"]}
    if entry.id in files:
        name, size, sha1 = files[entry.id]
        attachment.update(url=name, size=size, hash=sha1)
    return {"resourceType": "DocumentReference", "status": "current",
            "type": _text(facts["kind"]), "subject": {"reference": patient_url},
            "date": _instant(entry.released_at), "description": facts["title"],
            "content": [{"attachment": attachment}],
            "context": {"period": {"start": facts["document_on"]}}}


MAPPINGS = {"lab": _observation, "immunization": _immunization, "medication": _medication,
            "allergy": _allergy, "problem": _condition, "appointment": _encounter,
            "visit": _encounter, "document": _document}
