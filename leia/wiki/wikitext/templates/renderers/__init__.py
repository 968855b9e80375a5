"""What the text-bearing templates of the registry show, by kind: ``text`` (the text of their arguments,
readings, language names, countries, interlanguage links), ``dates`` (dates and ages), ``numbers``
(``{{convert}}``, ``{{val}}``); with the tables they read: ``countries`` (country names by ISO code) and
``units`` (the units of ``{{convert}}``).
"""
