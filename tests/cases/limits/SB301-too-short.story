#! SB301 3:12
model wan2.7-t2v
clip short 1s
  A blink
