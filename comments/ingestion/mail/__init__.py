"""Committee members' questions by e-mail, in one package: ``parser`` reads a raw message into a bounded,
safe structure; ``pipeline`` applies the intake rules and files the question through the committee's
domain function or keeps the message in quarantine; ``imap`` fetches messages from the intake mailbox;
``quarantine`` is the secretariat's release or rejection of what waits there."""
