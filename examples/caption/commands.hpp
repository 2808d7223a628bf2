// The subcommands of the caption program (main.cpp dispatches).
#pragma once

namespace caption
{

int train_command(int argc, char** argv);

} // namespace caption
