# A scene is split into clips: a last frame cannot follow it (a first frame can: its parts chain).
model wan2.7-i2v
scene rain
  first-frame: refs/street.jpg
  last-frame: refs/street.jpg
  shot 5s wide
    rain on an empty street
#! SB619 5:3
