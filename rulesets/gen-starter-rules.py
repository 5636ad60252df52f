#!/usr/bin/env python3
"""Writes the starter ACL's injection rules (priorities 60-79) into starter-acl.json.

    python3 rulesets/gen-starter-rules.py

Each rule is one attack class; each pattern below is applied to every field its rule lists, so a
pattern is written once here and repeated per field in the JSON. Everything is plain AWS WAFv2:
RegexMatchStatement with AWS's regex subset (no backreferences, no lookaround, ASCII only, at most
200 characters), text transformations AWS documents, and field types AWS documents. Other rules
in the file are left as they are; the scanner rule's extra user-agent regex is kept in step too.

Fields, and why:
* qs    QueryString, URL_DECODE: the whole query string, names included (`user[$ne]=`).
* body  Body, JS_DECODE then URL_DECODE: form and multipart bodies (AWS has no form parser) and JSON
        bodies, whose `\\uXXXX`, `\\n` and `\\"` escapes JS_DECODE undoes. One pass over the body text
        costs far less than JsonBody, which parses the document and scans every value on its own.
* path  UriPath, URL_DECODE: path segments that carry parameters.
* hdr   Header values other than the browser's standard ones (custom `X-...` headers).

Patterns keep a literal of two or more rare bytes in every branch (`; cat`, `|sh`, `' or`), not a
bare common word: the engine runs a regex only where one of its literals occurs, so a pattern
gated on `or` or `id` would run over nearly every body.

Base64 in a body, a path or a query string cannot be decoded by AWS's transformations (a form
body is `name=value`, a path starts with `/`), so BlockBase64AttackTokens matches the base64
spellings of a fixed list of attack tokens instead: each token's base64 text at the three byte
alignments a token can have, keeping only the characters the token alone decides. Tokens are at
least 5 bytes (6+ base64 characters), so random base64 (tokens, images) practically never
matches; a mixed-case or split token is not caught.
"""
import base64
import collections
import json
import os
import random

HERE = os.path.dirname(os.path.abspath(__file__))
ACL = os.path.join(HERE, "starter-acl.json")
FIRST, LAST = 60, 79  # the priorities this script owns

# ------------------------------------------------------------------------------------------------
# Patterns, one list per attack class.
# ------------------------------------------------------------------------------------------------

# MongoDB query operators used as keys or in text (`$where: ...`, `{"$ne": 1}`, `user[$ne]=`),
# the shell helpers (`db.users.find(`) and the classic `do { } while (` time-based loop. `$type` is
# left out: .NET and JSON Schema documents use it as a key (as they use `$id` and `$ref`). In the
# `[$op]` form only operators that are not also common PHP variable names.
NOSQL_OPS = r"where|ne|eq|[gl]te?|n?in|n?or|and|not|regex|exists|expr|elemMatch|all|size|mod|text|function"
NOSQL_BRACKET = r"where|ne|eq|[gl]te?|nin|regex|exists|expr|elemMatch"
NOSQL = [
    r"\$(?:" + NOSQL_OPS + r")\b\s*['\"]?\s*:|\[\s*\$(?:" + NOSQL_BRACKET + r")\s*\]",
    r"\bdb\.[\w$]+\.(?:insert|find|update|remove|drop|delete|aggregate|count|distinct|mapReduce|save|rename)\w*\s*\("
    r"|\bdo\s*\{[^}]*\}\s*while\s*\(",
]

# LDAP filter injection: `(|(attr=`, `(&(attr=`, `*)(attr=`, `*)(|`, `(objectclass=`, and an
# extensible match with a matching-rule OID (`userPassword:2.5.13.18:=`).
LDAP = [
    r"(?i)\( ?[|&] ?\( ?[\w.;-]+ ?[~<>]?=|\* ?\) ?\( ?(?:[|&!]|[\w.;-]+ ?[~<>]?=)|\( ?objectclass ?="
    r"|[\w;-]+:(?:dn:)?[\w.]+:=",
]

# Mail injection: a line break followed by an SMTP command, an IMAP command with its tag, or a
# Cc/Bcc/To header with an address. Commands are matched in capitals, as protocols write them.
MAIL = [
    r"[\r\n][ \t]*(?:RCPT TO|MAIL FROM)[ \t]*:|[\r\n](?:HELO|EHLO|VRFY|EXPN|AUTH) |[\r\n]QUIT[ \t]*(?:[\r\n]|$)"
    r"|[\r\n][ \t]?(?:[Bb]?[Cc][Cc]|[Tt][Oo])[ \t]?:[ \t]*[\w.+-]+@[\w-]+\.",
    r"[\r\n][ \t]*[A-Za-z]{0,4}\d{1,6} (?:CAPABILITY|AUTHENTICATE|EXAMINE|FETCH|LSUB|APPEND|LOGOUT|STARTTLS)\b"
    r"|[\r\n][ \t]*[A-Za-z]{0,4}\d{1,6} SELECT \"?INBOX\b",
]

# Server-side includes: `<!--#exec`, `<!--#include` and the other directives.
SSI = [r"(?i)<!--\s*#\s*(?:exec|include|echo|config|set|printenv|fsize|flastmod|if|elif)\b"]

# Template injection: arithmetic probes in `{{ }}`, `${ }`, `#{ }`, `<%= %>`; `${@`, `${T(`;
# FreeMarker directives and `?new(`; Python dunders inside `{{ }}`; calls of exec-like functions
# inside `${ }`/`#{ }`. `{{name}}` and `${name}` alone pass.
SSTI = [
    r"(?:\{\{|[$#]\{|<%=?)\s*\d+\s*[-+*/%]\s*\d+\s*(?:\}|%>)|\$\{\s*(?:@|T\s*\()|<#(?:assign|import|include|macro|function)\b"
    r"|\?new\s*\(|(?:\{\{|\{%)[^}]{0,80}__[a-z]+__",
    r"[$#]\{[^}]{0,60}\b(?:exec|eval|system|getRuntime|forName|popen|spawn)\s*\(",
]

# CRLF injection (response splitting): a line break, after one or two URL decodings, followed by
# a response header; and, on the raw path, a percent-encoded UTF-8 character whose low byte is
# CR or LF (U+xx0A, U+xx0D, which some servers truncate to that byte) before a header.
CRLF_HEADERS = r"(?:set-cookie|location|refresh|content-(?:type|length)|x-[\w-]+)"
CRLF = [r"(?i)[\r\n]\s*" + CRLF_HEADERS + r"\s*:"]
CRLF_RAW = [r"(?i)%e[0-9a-f]%[89ab][048c]%8[ad]\s*" + CRLF_HEADERS + r"\s*(?::|%3a)"]

# Shell command injection: a command separator (`;`, `|`, `&&`, `$(`) followed by a command.
# Commands that are also English words (cat, set, find...) need an argument shape after them
# (`-x`, `/path`, `$IFS`), so "; more than that" or "tags=dog|cat" pass; interpreters need a flag
# or a path. Also `$IFS`, `$((`, a backtick substitution right after `=`/`;`/`|`/`(`, `sh -c`,
# and the Shellshock prefix `() { :;`.
SEP = r"(?:[;|]|&&|\$\()\s*"
# Commands that are also English words, and `nc`, need the separator right before them (at most
# one space) and an argument shape after them.
WORDS = ["cat|ls|id|echo|set|type|dir|ping|sleep|kill|rm|cp", "mv|find|head|tail|env|exec|eval|net|base64|passwd|nc"]
ARGUMENT = r"(?:\s+[-/~$\\]|\s+\.{1,2}/|\$\{?IFS)"
SHELL = [
    SEP + r"(?:(?:/usr)?/s?bin/)?(?:wget|curl|getent|whoami|uname|i[fp]config|nslookup|n(?:et)?cat|telnet|tftp"
    r"|nohup|mkfifo|socat|busybox|certutil|bitsadmin|ch(?:mod|own)|sudo)\b",
    SEP + r"(?:(?:/usr)?/s?bin/)?(?:(?:ba|z|k|c|da)sh|python[23]?|perl|php|ruby|node|powershell|pwsh|cmd(?:\.exe)?)"
    r"\s+(?:--?[a-zA-Z]|/)|\|[ \t]?(?:ba|z|k|da)?sh\b|\bsh -[ci]\b",
    r"[;|] ?(?:" + WORDS[0] + r")" + ARGUMENT,
    r"[;|] ?(?:" + WORDS[1] + r")" + ARGUMENT,
    r"(?:&&|\$\()\s*(?:" + WORDS[0] + "|" + WORDS[1] + r")" + ARGUMENT,
    r"\$\{?IFS\b|\$\(\(|(?:^|[=;|&(\"])\s*`[ \t]?(?:id|whoami|uname|ls|cat|curl|wget|ping|sleep|echo)\b[^`]*`"
    r"|\(\) ?\{ ?[:_] ?;",
]

# Code injection in other interpreters: PyYAML object tags, VBScript, PHP and Java/Node exec.
CODE = [
    r"(?i)!!python/(?:object|name|module)|\bon\s+error\s+resume\s+next\b"
    r"|\b(?:passthru|shell_exec|proc_open|pcntl_exec|popen)\s*\(|\bRuntime\.getRuntime\(\)|child_process",
]

# Script without markup, which the XSS detector does not flag: `alert(1)`, `alert.call(...)`,
# `alert?.()`, `(alert)(1)`, `alert<x>(1)`, `atob(`, `__proto__`, `javascript:f(`,
# `document.cookie`, `document["cookie"]`, and an `on...=` handler whose value calls something.
JS = [
    r"(?i)\b(?:alert|prompt|confirm)(?:\?\.|\.(?:call|apply|bind)|<\w*>)?[(`]|\((?:alert|prompt|confirm|eval)\)\("
    r"|\batob\s*\(|__proto__|javascript:[^\s()]{0,30}\(",
    r"(?i)\bdocument(?:\.(?:cookie|domain|location|write)\b|\s*\[\s*['\"`])",
    r"(?i)['\"\s/;]on(?:error|load|focus|blur|(?:dbl|aux)?click|mouse[a-z]+|pointer[a-z]+|key[a-z]+|wheel|scroll"
    r"|input|change|submit|toggle|(?:animation|transition)[a-z]+|drag[a-z]*|touch[a-z]+|resize)=",
]

# SQL injection shapes the libinjection-style detector misses, and SQL injection in places the
# detector rules do not inspect (JSON values, custom headers): a quote or parenthesis closed and
# followed by AND/OR and a function call or a numeric comparison; UNION SELECT with a select list;
# time delays; DECLARE @var; information_schema; group_concat; MySQL `/*!` comments.
SQLI = [
    r"(?i)['\")](?: |  )(?:and|or)\s+(?:[\w$]+\(|['\"]?\d+['\"]?\s*(?:[=<>!]=?|<>|like)\s*['\"]?\d)"
    r"|['\"](?:and|or)['\"(]\s*(?:[\w$]+\(|\d+['\"]?\s*(?:[=<>!]=?|<>|like)\s*['\"]?\d)",
    r"(?i)\bunion(?:[ \t\r\n(]|/\*)\s*(?:all\s+|distinct\s+)?select\s+(?:[\d@*'\"(]|null\b|[\w.]+\s*(?:,|\bfrom\b))",
    r"(?i)\b(?:sleep|benchmark|pg_sleep)\(\s*\d|\bwaitfor\s+delay\b|\bdeclare\s+@\w+\s+(?:n?varchar|int|sysname)\b"
    r"|information_schema\.|group_concat\s*\(|/\*!\d*\s*(?:union|select|%[0-9a-f]{2})",
]

# Sensitive files and the encodings that reach them: /etc/passwd, a Windows admin share
# (`\\host\c$\`), ntuser.dat/win.ini/boot.ini, over-long UTF-8 dots and slashes, file:///etc.
FILES = [
    r"(?i)/etc/(?:passwd|shadow)\b|\\\\[^\\]+\\[a-z]\$\\|\b(?:ntuser\.dat|win\.ini|boot\.ini)\b|%c0%a[ef]"
    r"|file:/{2,3}(?:etc|proc|windows|winnt)\b",
]

# Out-of-band interaction domains that blind-injection scanners plant.
OAST = [
    r"(?i)\.(?:burpcollaborator\.net|oastify\.com|interact\.sh|oast\.(?:pro|live|site|online|fun|me)|dnslog\.cn"
    r"|ceye\.io|requestbin\.net)\b",
]

# Scanner user agents beyond BlockScannerUserAgents' three byte matches.
SCANNERS = (r"(?i)openvas|nessus|nuclei|fuzz faster u fool|ffuf|gobuster|dirbuster|wpscan|acunetix|netsparker"
            r"|w3af|zgrab|nmap scripting engine")

# GraphQL introspection (schema discovery).
GRAPHQL = [r"__schema\b|__type\s*\(\s*name\s*:"]

# Attack tokens whose base64 spellings BlockBase64AttackTokens matches (see the module doc).
BASE64_TOKENS = [
    # script injection
    "<script", "<iframe", "<svg/", "javascript:", "onerror=", "onload=", "onfocus=", "onmouseover=",
    "onclick=", "alert(", "prompt(", "confirm(", "fromCharCode", "__proto__",
    # SQL injection
    "union select", "UNION SELECT", "sleep(", "SLEEP(", "benchmark(", "waitfor delay", "WAITFOR DELAY",
    "information_schema", "' or '", "' OR '", " or 1=1", " OR 1=1", "DECLARE @", "(select", "(SELECT",
    # shell and code
    "wget http", "curl http", "/bin/sh", "/bin/bash", "$IFS$", "getent ", "whoami", " set /a ",
    "/dev/tcp/", "!!python/", "child_process", "shell_exec", "passthru(", "<?php",
    # files
    "../../", "..\\..\\", "/etc/passwd", "/etc/shadow", "ntuser.dat", "win.ini", "boot.ini", "/proc/self/",
    # NoSQL
    "$where", "$regex", '$ne":', "$ne: ", '$gt":', "$gt: ", "$or: ", '$or":', "[$ne]", "[$gt]",
    # LDAP
    "(objectclass", "(objectClass", "(&(uid=", "(|(uid=", "*)(uid=", "userPassword",
    # mail and CRLF
    "RCPT TO", "MAIL FROM", "\r\nQUIT", "\nQUIT\r", " CAPABILITY", "\r\nSet-Cookie", "\r\nBcc:",
    # server-side includes and templates
    "<!--#exec", "<!--#include", "<!--#echo", "<#assign", ".__class__", "__globals__", "__import__",
    "?new()", "freemarker",
]

# ------------------------------------------------------------------------------------------------
# Fields
# ------------------------------------------------------------------------------------------------

STANDARD_HEADERS = ["cookie", "user-agent", "accept", "accept-language", "accept-encoding", "referer",
                    "authorization", "sec-ch-ua", "sec-ch-ua-platform", "sec-ch-ua-mobile",
                    "if-none-match", "if-modified-since"]


FIELDS = {
    "qs": ({"QueryString": {}}, ["URL_DECODE"]),
    "body": ({"Body": {"OversizeHandling": "CONTINUE"}}, ["JS_DECODE", "URL_DECODE"]),
    "path": ({"UriPath": {}}, ["URL_DECODE"]),
    "hdr": ({"Headers": {"MatchPattern": {"ExcludedHeaders": STANDARD_HEADERS}, "MatchScope": "VALUE",
                         "OversizeHandling": "CONTINUE"}}, ["URL_DECODE"]),
    "ua": ({"SingleHeader": {"Name": "user-agent"}}, ["NONE"]),
}
VALUES = ["qs", "body", "path"]  # where a client's values travel
# Script injection is often entity- or doubly URL-encoded; decode twice, then HTML entities.
SCRIPT_DECODE = {"body": ["JS_DECODE", "URL_DECODE", "URL_DECODE", "HTML_ENTITY_DECODE"]}
SCRIPT_DECODE_DEFAULT = ["URL_DECODE", "URL_DECODE", "HTML_ENTITY_DECODE"]


def regex(pattern, field, transformations=None):
    # `\"` is how a raw Python string holds a quote; the regex needs no backslash before it.
    assert '\\\\"' not in pattern, pattern
    pattern = pattern.replace('\\"', '"')
    assert len(pattern) <= 200, (len(pattern), pattern)
    assert pattern.isascii(), pattern
    ftm, default = FIELDS[field]
    types = transformations or default
    return {"RegexMatchStatement": {
        "RegexString": pattern,
        "FieldToMatch": json.loads(json.dumps(ftm)),
        "TextTransformations": [{"Priority": i, "Type": t} for i, t in enumerate(types)],
    }}


def each(patterns, fields, transformations=None):
    return [regex(p, f, transformations(f) if callable(transformations) else transformations)
            for f in fields for p in patterns]


def rule(name, priority, statements):
    return {
        "Name": name,
        "Priority": priority,
        "Statement": statements[0] if len(statements) == 1 else {"OrStatement": {"Statements": statements}},
        "Action": {"Block": {}},
        "VisibilityConfig": {"SampledRequestsEnabled": True, "CloudWatchMetricsEnabled": True, "MetricName": name},
    }

# ------------------------------------------------------------------------------------------------
# Base64 spellings
# ------------------------------------------------------------------------------------------------

ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"


def spellings(token: bytes):
    """The base64 characters `token` decides on its own, for each of its three byte alignments."""
    bits = "".join(f"{b:08b}" for b in token)
    out = []
    for align in range(3):
        stream = "0" * (8 * align) + bits
        first = -(-8 * align // 6)  # first character whose six bits all come from the token
        out.append("".join(ALPHABET[int(stream[6 * j:6 * j + 6], 2)]
                           for j in range(first, len(stream) // 6)))
    return out


def base64_regexes(tokens):
    alternatives = set()
    for token in tokens:
        for s in spellings(token.encode()):
            assert len(s) >= 6, (token, s)
            alternatives.add(s.replace("+", "[+ ]"))  # URL_DECODE turns a raw '+' into a space
    out, current = [], ""
    for a in sorted(alternatives):
        joined = a if not current else current + "|" + a
        if len(joined) > 200:
            out.append(current)
            joined = a
        current = joined
    return out + [current]


def self_check():
    rng = random.Random(7)
    for token in BASE64_TOKENS:
        for align in range(3):
            for _ in range(8):
                before = bytes(rng.randrange(256) for _ in range(align + 3 * rng.randrange(3)))
                after = bytes(rng.randrange(256) for _ in range(rng.randrange(4)))
                text = base64.b64encode(before + token.encode() + after).decode()
                assert any(s in text for s in spellings(token.encode())), (token, align, text)

# ------------------------------------------------------------------------------------------------


def rules():
    return [
        rule("BlockNoSqlInjection", 60,
             each(NOSQL, VALUES)),
        rule("BlockLdapInjection", 61, each(LDAP, VALUES)),
        rule("BlockMailInjection", 62, each(MAIL, VALUES)),
        rule("BlockServerSideIncludes", 63, each(SSI, VALUES)),
        rule("BlockTemplateInjection", 64, each(SSTI, VALUES)),
        rule("BlockCrlfInjection", 65,
             each(CRLF, ["path", "qs"], ["URL_DECODE", "URL_DECODE"]) + each(CRLF_RAW, ["path"], ["NONE"])),
        rule("BlockShellCommandInjection", 66, each(SHELL, VALUES + ["hdr"])),
        rule("BlockCodeInjection", 67, each(CODE, VALUES)),
        rule("BlockScriptInjection", 68,
             each(JS, VALUES, lambda f: SCRIPT_DECODE.get(f, SCRIPT_DECODE_DEFAULT))),
        rule("BlockSqlInjectionPatterns", 69,
             each(SQLI, VALUES + ["hdr"]) + each(SQLI, ["hdr"], ["BASE64_DECODE"])),
        rule("BlockSensitiveFileAccess", 70,
             each(FILES, VALUES) + each(FILES, ["body"], ["URL_DECODE"])),  # JS_DECODE eats `\\` paths
        rule("BlockBase64AttackTokens", 71, each(base64_regexes(BASE64_TOKENS), ["qs", "body", "path"])),
        rule("BlockOastCallbackDomains", 72, each(OAST, ["ua", "qs", "body", "path"])),
        rule("BlockGraphqlIntrospection", 73, each(GRAPHQL, ["qs", "body"])),
    ]


# WCU as AWS's current guide prices them (spec section 9): base cost, doubled for JsonBody, +10
# for AllQueryArguments, +10 per transformation other than NONE (AWS prices its own NONE examples
# at nothing); a managed group costs its fixed Capacity; labels 1 per started 5.
BASE_WCU = {"RegexMatchStatement": 3, "XssMatchStatement": 40, "SizeConstraintStatement": 1}


def capacity(statement):
    kind, s = next(iter(statement.items()))
    if kind in ("AndStatement", "OrStatement"):
        return sum(capacity(x) for x in s["Statements"])
    if kind == "NotStatement":
        return capacity(s["Statement"])
    if kind == "ManagedRuleGroupStatement":
        with open(os.path.join(HERE, "aws", s["Name"] + ".json")) as f:
            group = json.load(f)
        return group.get("RuleGroup", group)["Capacity"]
    if kind == "ByteMatchStatement":
        base = 10 if s["PositionalConstraint"] in ("CONTAINS", "CONTAINS_WORD") else 2
    elif kind == "SqliMatchStatement":
        base = 30 if s.get("SensitivityLevel") == "HIGH" else 20
    else:
        base = BASE_WCU[kind]
    field = s["FieldToMatch"]
    base *= 2 if "JsonBody" in field else 1
    base += 10 if "AllQueryArguments" in field else 0
    return base + 10 * sum(t["Type"] != "NONE" for t in s["TextTransformations"])


def main():
    self_check()
    with open(ACL) as f:
        doc = json.load(f, object_pairs_hook=collections.OrderedDict)
    acl = doc["WebACL"]
    kept = [r for r in acl["Rules"] if not FIRST <= r["Priority"] <= LAST]
    acl["Rules"] = sorted(kept + rules(), key=lambda r: r["Priority"])
    scanner = next(r for r in acl["Rules"] if r["Name"] == "BlockScannerUserAgents")
    statements = scanner["Statement"]["OrStatement"]["Statements"]
    statements[:] = [s for s in statements if "RegexMatchStatement" not in s] + [regex(SCANNERS, "ua")]
    acl["Capacity"] = sum(capacity(r["Statement"]) + -(-len(r.get("RuleLabels", [])) // 5) for r in acl["Rules"])
    assert acl["Capacity"] <= 5000, acl["Capacity"]
    with open(ACL, "w") as f:
        json.dump(doc, f, indent=2, ensure_ascii=True)
        f.write("\n")


if __name__ == "__main__":
    main()
