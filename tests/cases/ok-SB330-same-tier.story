model wan2.6-t2v
resolution 720P
clip day 5s
  A lantern over the market
clip night 5s
  size 1920*1080
  A lantern over the market
clip dusk 5s
  size 720*1280
  resolution 720P
  A lantern over the market
