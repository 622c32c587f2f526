"""Messages to people outside the web page: Telegram (``telegram``); the notification centre of
the events issue builds on these channels."""
