"""After compile and render: the preview sheet, the animatic, the final cut and the editors' timelines.

`board.load_board` gathers what they all show (clips, timed shots, prompts, prices, the lock file's
renders); `probe` measures real files with PyAV; each output has its own module.
"""
