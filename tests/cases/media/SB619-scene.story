# A scene is split into clips: a first frame cannot follow it.
model wan2.7-i2v
scene rain
  first-frame: refs/street.jpg
  shot 5s wide
    rain on an empty street
#! SB619 4:3
