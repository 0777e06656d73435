#! SB102 8:1
# A tab counts as eight columns and a space as one: a block indented with a tab and a line indented
# with two spaces do not line up, and the message says so.
clip chase 5s
	shot 2s wide
		a fox runs
	shot 3s close-up
  the fox stops
