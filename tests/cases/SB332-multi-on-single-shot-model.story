#! SB332 3:11
model wan2.5-t2v-preview
shot-mode multi
size 1280*720
clip chase 5s
  The fox runs
