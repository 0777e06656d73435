# Media must come from inside the project.
model wan2.7-i2v
clip rain 5s
  first-frame: ../../fixtures/elsewhere.png
  rain on an empty street
#! SB608 4:16
