"""The web pages: the Privacy Center (for a person) and the Operator Console (for staff).

Both are thin adapters over the same services the HTTP API uses: routes read a form or a
query, call the service, and render a Jinja2 template in the reader's language. The pages
need no script: "Why am I seeing this?" is a `<details>` element, a pending request's status
page refreshes itself with a `<meta>` tag, and every change is an ordinary form post
protected by a CSRF token.
"""
