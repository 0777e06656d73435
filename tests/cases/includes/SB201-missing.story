#! SB201 2:9
include "missing.story"
clip a 3s
  One
