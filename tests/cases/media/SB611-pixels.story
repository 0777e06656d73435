# Pictures: each side 240-8000 pixels, at most 8:1, no transparency (§3.3); the header is read.
model wan2.7-i2v
clip small 5s
  first-frame: refs/tiny.png
  rain
clip thin 5s
  first-frame: refs/sliver.png
  rain
clip clear 5s
  first-frame: refs/ghost.png
  rain
#! SB611 4:16
#! SB611 7:16
#! SB611 10:16
