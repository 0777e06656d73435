#! SB102 9:1
#! SB102 13:4
# A tab counts as eight columns and a space as one: a block indented with a tab and a line indented
# with two spaces do not line up, and the message says so.
clip chase 5s
	shot 2s wide
		a fox runs
	shot 3s close-up
  the fox stops
clip rest 3s
  shot 3s wide
    the fox sleeps
  	the rain stops
