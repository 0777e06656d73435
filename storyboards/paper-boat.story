# Takes: the storm clip is rendered three times, each take with its own seed derived from `seed 2718`.
# Pick the one the cut uses with `story select storyboards/paper-boat.story storm 2`; `story status`
# marks the selected take and `story preview` shows the three side by side.
storyboard "Paper boat"
model wan2.7-t2v
resolution 720P
ratio 16:9
language en
prompt-extend off
seed 2718

clip launch 3s
  shot 3s close-up: A child's hand sets a folded paper boat on a rain-filled gutter.

clip storm 4s
  takes 3
  shot 2s wide: The paper boat rides a rush of water past parked bicycles.
  shot 2s close-up: Raindrops hammer the boat's paper sails.

clip drain 3s
  shot 3s medium: The boat spins at the edge of a storm drain, then holds.
