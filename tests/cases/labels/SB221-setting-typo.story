#! SB221 3:3
clip a 5s
  negatve: blur
  A fox at the window
  Note: nothing here is a label
