#! SB208 4:6
clip a 3s
  One
clip a 3s
  Two
