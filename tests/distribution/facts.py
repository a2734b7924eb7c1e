#!/usr/bin/env python3
"""Reads the distribution files for distribution_tests and prints what they say as JSON.

  facts.py dockerfile FILE       stages (base, apt packages, RUN lines), HEALTHCHECK, CMD, ...
  facts.py recipes DIR           every `kubedouble ...` invocation in the recipes, as argv lists
                                 (YAML files must parse; shell lines and command arrays both)
  facts.py schema SCHEMA FILE... validates suite files against the JSON Schema: {file: [errors]}
"""
import glob
import json
import os
import re
import shlex
import sys


def dockerfile(path):
    text = open(path).read()
    # Join continuation lines, drop comments.
    lines = []
    for raw in text.replace("\\\n", " ").splitlines():
        if raw.strip().startswith("#") or not raw.strip():
            continue
        lines.append(raw.strip())
    stages, current = {}, None
    out = {"stages": stages}
    for line in lines:
        word, _, rest = line.partition(" ")
        word = word.upper()
        if word == "FROM":
            parts = rest.split()
            name = parts[2] if len(parts) >= 3 and parts[1].lower() == "as" else "final"
            current = stages.setdefault(name, {"from": parts[0], "packages": [], "runs": [],
                                               "copies": []})
        elif word == "RUN":
            current["runs"].append(rest)
            for m in re.finditer(r"apt-get install((?:\s+(?!&&)\S+)+)", rest):
                current["packages"] += [w for w in m.group(1).split() if not w.startswith("-")]
        elif word == "COPY":
            current["copies"].append(rest)
        elif word == "HEALTHCHECK":
            current["healthcheck"] = (None if rest.strip() == "NONE"
                                      else json.loads(rest[rest.index("CMD") + 3:].strip()))
        elif word in ("CMD", "ENTRYPOINT", "VOLUME"):
            current[word.lower()] = json.loads(rest)
        elif word in ("USER", "EXPOSE", "WORKDIR"):
            current[word.lower()] = rest
    return out


def shell_invocations(script):
    found = []
    script = re.sub(r"\$\{\{[^}]*\}\}", "X", script)  # GitHub expressions
    for line in script.replace("\\\n", " ").splitlines():
        line = line.split(" #")[0]
        for part in re.split(r"&&|\|\||;|\|", line):
            try:
                words = shlex.split(part)
            except ValueError:
                continue
            while words and ("=" in words[0] and not words[0].startswith("-")):
                words = words[1:]  # VAR=value prefixes
            if words and words[0] in ("kubedouble", '"$kd"', "$kd") and len(words) > 1:
                found.append(words[1:])
    return found


def walk(node, found):
    if isinstance(node, dict):
        image = str(node.get("image", "")) + str(node.get("name", ""))
        argv = [str(a) for a in (node.get("command") or []) + (node.get("args") or [])] \
            if isinstance(node.get("command", []), list) and isinstance(node.get("args", []), list) else []
        if argv and argv[0] == "kubedouble":
            found.append(argv[1:])
        elif argv and "kubedouble" in image and "clients" not in image:
            found.append(argv)  # the image's entrypoint is kubedouble
        for key, value in node.items():
            if key in ("run", "script") or (key == "command" and isinstance(value, list)
                                             and value[:2] == ["sh", "-c"]):
                scripts = value if isinstance(value, list) else [value]
                for s in scripts:
                    if isinstance(s, str):
                        found += shell_invocations(s)
            walk(value, found)
    elif isinstance(node, list):
        for item in node:
            walk(item, found)


def recipes(folder):
    import yaml
    out = []
    for path in sorted(glob.glob(os.path.join(folder, "**", "*"), recursive=True)):
        if os.path.isdir(path):
            continue
        found = []
        if path.endswith((".yml", ".yaml")):
            for doc in yaml.safe_load_all(open(path)):
                walk(doc, found)
        elif path.endswith(".sh"):
            found = shell_invocations(open(path).read())
        else:
            continue
        for argv in found:
            out.append({"file": os.path.relpath(path, folder), "argv": argv})
    return out


def schema(schema_path, files):
    import jsonschema
    import yaml
    schema = json.load(open(schema_path))
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    result = {}
    for f in files:
        doc = yaml.safe_load(open(f))
        result[f] = ["/".join(str(p) for p in e.absolute_path) + ": " + e.message
                     for e in validator.iter_errors(doc)]
    return result


if __name__ == "__main__":
    what = sys.argv[1]
    if what == "dockerfile":
        print(json.dumps(dockerfile(sys.argv[2])))
    elif what == "recipes":
        print(json.dumps(recipes(sys.argv[2])))
    elif what == "schema":
        print(json.dumps(schema(sys.argv[2], sys.argv[3:])))
    else:
        sys.exit("facts.py: unknown command " + what)
