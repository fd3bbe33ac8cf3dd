"""Pure core: imports the standard library only (numpy inside ``domain.pk``); no clock, no I/O."""
