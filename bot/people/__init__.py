"""People by name: the `Names` port the core asks, and the directory that answers it.

`names` is pure (the port, the neutral label, turning mentions in text into names);
`directory` keeps the names in the database and asks the chat system (through the
`Messenger`'s ``user_info``) only when a cached name is missing or a day old.
"""
