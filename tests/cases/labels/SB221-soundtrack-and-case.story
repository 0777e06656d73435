#! SB221 4:3
#! SB221 5:3
clip a 5s
  sountrack: audio/theme.mp3
  Music: soft piano
  A fox at the window
