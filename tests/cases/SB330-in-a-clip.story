#! SB330 6:14
model wan2.6-t2v
resolution 720P
clip night 5s
  size 1920*1080
  resolution 720P
  A lantern over the market
