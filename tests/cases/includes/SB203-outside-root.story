#! SB203 2:9
include "../../outside.story"
clip a 3s
  One
