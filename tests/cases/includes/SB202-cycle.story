#! SB202 cycle-b.story:1:9
include "cycle-b.story"
clip a 3s
  One
