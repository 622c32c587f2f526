"""Messages to people outside the web page: Telegram (``telegram``) and the notification centre
(``center``: domain events -> in-app and email notifications; ``templates``, ``types``, ``views``)."""
