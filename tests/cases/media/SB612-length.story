# Driving audio lasts 2-30 s on wan2.7-i2v (§3.3); the file is measured.
model wan2.7-i2v
clip blip 5s
  first-frame: refs/street.jpg
  driving-audio: refs/blip.wav
  rain
#! SB612 5:18
