#! SB421 5:13
#! SB421 5:18
#! SB421 6:9
clip a 3s
  The corner and  more.
  camera : pans
