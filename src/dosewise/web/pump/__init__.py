"""The intrathecal pump in the record: the page, its forms and the JSON API."""
