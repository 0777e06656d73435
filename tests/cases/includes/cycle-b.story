include "SB202-cycle.story"
cast b: b
