"""gunicorn's settings for this service; gunicorn reads ./gunicorn.conf.py from the folder it starts in.

gunicorn writes ``Server: gunicorn`` on every response and has no setting to leave it out; the app's own
``Server`` header cannot replace it. The name it writes is a module attribute read for each response, so
it is set here, once, before the workers start (hand-written: no library does this for gunicorn).
"""

import gunicorn.http.wsgi

gunicorn.http.wsgi.SERVER = "comments"
