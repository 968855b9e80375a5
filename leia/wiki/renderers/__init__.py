"""What the text-bearing templates of the registry show, by kind: ``text`` (the text of their arguments,
readings, language names, countries, interlanguage links), ``dates`` (dates and ages), ``numbers``
(``{{convert}}``, ``{{val}}``).
"""
