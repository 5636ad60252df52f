# The headers of the benign browser-like request both load scripts send (sourced, not run): a
# request without them (wrk's bare default) is blocked by the CommonRuleSet's NoUserAgent rule,
# and would measure a block instead of a proxied request.
HDRS=(-H "User-Agent: Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0"
      -H "Accept: text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
      -H "Accept-Language: en-US,en;q=0.5" -H "Accept-Encoding: gzip, deflate"
      -H "Cookie: session=3f2a9c1b7e; theme=dark")
