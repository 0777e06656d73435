# A first frame is a picture, not audio.
model wan2.7-i2v
clip rain 5s
  first-frame: refs/voice.wav
  rain on an empty street
#! SB609 4:16
