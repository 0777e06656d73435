#! SB307 4:15
model wan2.6-t2v
shot-mode multi
prompt-extend off
size 1280*720
clip chase 5s
  The fox runs
