model wan2.5-t2v-preview
size 1280*720
clip chase 5s
  model wan2.6-t2v
  shot-mode multi
  The fox runs
clip rest 5s
  shot-mode single
  The fox sleeps
