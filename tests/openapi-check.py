#!/usr/bin/env python3
"""openapi-check.py OPENAPI METHOD TEMPLATE STATUS < BODY: does BODY (JSON) match the schema
the OpenAPI 3.1 description gives for that operation's answer of that status? Exit 0 if it
does; 1 with the reasons if not; 2 when the description has no such answer.
openapi-check.py OPENAPI --schema NAME < BODY: the same against components/schemas/NAME.
openapi-check.py OPENAPI --schemas: are the description's schemas valid JSON Schema 2020-12?
(jsonschema: Debian's python3-jsonschema, installed by tools/deps.sh.)"""
import json
import sys

from jsonschema import Draft202012Validator


def main():
    doc = json.load(open(sys.argv[1]))
    if sys.argv[2] == "--schemas":
        for name, schema in doc["components"]["schemas"].items():
            Draft202012Validator.check_schema(schema)
        assert doc["openapi"].startswith("3.1"), "not OpenAPI 3.1"
        return 0
    if sys.argv[2] == "--schema":
        schema = {"$ref": "#/components/schemas/" + sys.argv[3]}
    else:
        method, template, status = sys.argv[2].lower(), sys.argv[3], sys.argv[4]
        try:
            answers = doc["paths"][template][method]["responses"]
            schema = answers[status]["content"]["application/json"]["schema"]
        except KeyError:
            print(f"the description has no {status} answer for {method.upper()} {template}")
            return 2
    body = json.load(sys.stdin)
    # $refs point into the description ("#/components/schemas/..."): make it the root
    root = dict(schema)
    root["components"] = doc["components"]
    errors = list(Draft202012Validator(root).iter_errors(body))
    for e in errors[:10]:
        print(f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message[:300]}")
    return 1 if errors else 0


sys.exit(main())
