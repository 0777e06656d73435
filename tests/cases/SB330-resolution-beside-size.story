#! SB330 4:12
model wan2.6-t2v
size 720*1280
resolution 1080P
clip night 5s
  A lantern over the market
