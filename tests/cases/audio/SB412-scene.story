#! SB412 4:3
model wan2.7-t2v
scene a
  soundtrack: https://example.com/theme.mp3
  shot 3s: One
