# Local paths or http(s) URLs only.
model wan2.7-i2v
clip rain 5s
  first-frame: ftp://example.com/street.png
  rain on an empty street
#! SB616 4:16
