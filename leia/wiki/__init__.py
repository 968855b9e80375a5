"""Reading MediaWiki material: XML dumps, wikitext, SQL dumps, Wikidata."""
